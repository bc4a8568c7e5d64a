import type { ErrorCode } from '@contract/envelope'
import type { EventMap, EventName } from '@contract/events'
import type { MethodName, RequestOf, ResponseOf } from '@contract/methods'
import type { MainConnection } from './main-connection'

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** The typed face of the contract for components: values come back, errors are thrown as ApiError. */
export interface Client {
  readonly connection: MainConnection
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>
  on<E extends EventName>(name: E, handler: (payload: EventMap[E]) => void): () => void
}

export function createClient(connection: MainConnection): Client {
  return {
    connection,
    async call(method, request) {
      const envelope = await connection.call(method, request)
      if (!envelope.ok) throw new ApiError(envelope.error.code, envelope.error.message)
      return envelope.value as never
    },
    on(name, handler) {
      return connection.onEvent((event) => {
        if (event.name === name) handler(event.payload as never)
      })
    }
  }
}
