export interface Command {
  name: string
  usage: string
  summary: string
  run(args: string[]): Promise<number>
}
