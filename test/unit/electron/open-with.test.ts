import { describe, expect, it } from 'vitest'
import { OpenRequests, projectPathFromArgs } from '../../../src-main/electron/open-with'

// A `.pictor` file opened from a file manager reaches the app as an argument (Windows, Linux, a second
// instance) or as macOS' open-file event, sometimes before the app is ready to open anything.

describe('projectPathFromArgs', () => {
  it('finds the project file among the arguments, made absolute against where they were given', () => {
    expect(projectPathFromArgs(['/opt/Pictor/pictor-desktop', '--no-sandbox', 'Birds.pictor'], '/home/ada/Pictures')).toBe('/home/ada/Pictures/Birds.pictor')
    expect(projectPathFromArgs(['C:\\Pictor\\Pictor.exe', '/data/a.PICTOR'], '/tmp')).toBe('/data/a.PICTOR')
    // The last one wins, as a file manager appends the file after the app's own arguments.
    expect(projectPathFromArgs(['/app', '/x/one.pictor', '/x/two.pictor'], '/')).toBe('/x/two.pictor')
  })

  it('ignores switches and other files, and answers null when no project is named', () => {
    expect(projectPathFromArgs(['/app', '--user-data-dir=/tmp/x.pictor'], '/')).toBeNull()
    expect(projectPathFromArgs(['/app', 'photo.jpg', '.'], '/')).toBeNull()
    expect(projectPathFromArgs([], '/')).toBeNull()
  })
})

describe('OpenRequests', () => {
  it('holds the paths asked for before the app can open them, then opens them in order, and later ones at once', () => {
    const requests = new OpenRequests()
    const opened: string[] = []
    requests.request('/a.pictor')
    requests.request(null)
    requests.request('/b.pictor')
    expect(opened).toEqual([])
    requests.attach((path) => opened.push(path))
    expect(opened).toEqual(['/a.pictor', '/b.pictor'])
    requests.request('/c.pictor')
    expect(opened).toEqual(['/a.pictor', '/b.pictor', '/c.pictor'])
  })
})
