import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback. Anything else never reaches a handler. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  return v4.startsWith('127.') || address === '::1'
}

/**
 * Refuses requests whose Host header is not our own loopback origin: a web page that rebinds its
 * DNS name to 127.0.0.1 would otherwise be same-origin with us.
 */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`
}

/** Cookies are shared across ports on one host, so the name carries the port. */
export function cookieName(port: number): string {
  return `pictor_token_${port}`
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

export function sameToken(candidate: string | undefined, token: string): boolean {
  if (!candidate) return false
  const a = Buffer.from(candidate)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The token a request carries: a bearer header (scripts, the CLI) or the session cookie (the page). */
export function requestToken(request: IncomingMessage, port: number): string | undefined {
  const authorization = request.headers.authorization
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7).trim()
  return readCookie(request.headers.cookie, cookieName(port))
}
