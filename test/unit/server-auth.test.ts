import { describe, expect, it } from 'vitest'
import { cookieName, isAllowedHost, isLoopbackAddress, newToken, sameToken } from '../../src-main/server/auth'

describe('isLoopbackAddress', () => {
  it('accepts 127.0.0.0/8, ::1 and IPv4-mapped loopback', () => {
    for (const address of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::ffff:127.1.2.3']) {
      expect(isLoopbackAddress(address), address).toBe(true)
    }
  })

  it('refuses everything else, and a missing address', () => {
    for (const address of [
      undefined,
      '',
      '0.0.0.0',
      '10.0.0.1',
      '192.168.1.10',
      '192.0.2.2',
      '128.0.0.1',
      '1.127.0.0',
      '::',
      '::2',
      'fe80::1',
      'fd00::2',
      '::ffff:10.0.0.1',
      '::ffff:192.168.0.1'
    ]) {
      expect(isLoopbackAddress(address), String(address)).toBe(false)
    }
  })
})

describe('isAllowedHost', () => {
  it('accepts exactly 127.0.0.1:<port> and localhost:<port>', () => {
    expect(isAllowedHost('127.0.0.1:8123', 8123)).toBe(true)
    expect(isAllowedHost('localhost:8123', 8123)).toBe(true)
  })

  it('refuses other hosts, other ports, a missing port and a missing header', () => {
    for (const host of [
      undefined,
      '',
      '127.0.0.1',
      'localhost',
      '127.0.0.1:8124',
      'localhost:812',
      'evil.example:8123',
      'localhost.evil.example:8123',
      '127.0.0.1.nip.io:8123',
      '[::1]:8123',
      '0.0.0.0:8123',
      '127.0.0.1:8123 ',
      'user@127.0.0.1:8123'
    ]) {
      expect(isAllowedHost(host, 8123), String(host)).toBe(false)
    }
  })
})

describe('tokens and cookies', () => {
  it('makes a fresh 256-bit base64url token each time', () => {
    const a = newToken()
    const b = newToken()
    expect(a).not.toBe(b)
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('compares tokens exactly, refusing missing, shorter and longer ones', () => {
    const token = newToken()
    expect(sameToken(token, token)).toBe(true)
    expect(sameToken(undefined, token)).toBe(false)
    expect(sameToken('', token)).toBe(false)
    expect(sameToken(token.slice(1), token)).toBe(false)
    expect(sameToken(`${token}=`, token)).toBe(false)
  })

  it('names the cookie after the port', () => {
    expect(cookieName(8123)).toBe('pictor_token_8123')
  })
})
