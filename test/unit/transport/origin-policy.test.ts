import { expect } from 'chai';
import { OriginListError, OriginPolicy, parseOrigins } from '../../../src/transport/origin-policy.js';

describe('transport/origin-policy', () => {
  describe('parseOrigins', () => {
    it('normalises a comma list (case, default ports, spaces, empty entries)', () => {
      expect(parseOrigins(' HTTPS://Dash.Example.com:443 , http://10.0.0.5:8080,,')).to.deep.equal(['https://dash.example.com', 'http://10.0.0.5:8080']);
    });

    it('refuses what is not an http(s) origin', () => {
      for (const bad of [
        'dash.example.com',
        'https://dash.example.com/',
        'https://dash.example.com/ui',
        'https://x.example?q=1',
        'ws://x.example',
        'https://user@x.example',
      ]) {
        expect(() => parseOrigins(bad), bad).to.throw(OriginListError);
      }
    });
  });

  describe('OriginPolicy', () => {
    const loopback = new OriginPolicy({ tls: false, bindHost: '127.0.0.1', allowed: ['https://dash.example.com'] });

    it('lets requests without Origin through (not a browser)', () => {
      expect(loopback.allows(undefined, '127.0.0.1:7420')).to.equal(true);
      expect(loopback.allows(undefined, undefined)).to.equal(true);
    });

    it("accepts the daemon's own origin: same scheme, same host:port as the Host header", () => {
      expect(loopback.allows('http://127.0.0.1:7420', '127.0.0.1:7420')).to.equal(true);
      expect(loopback.allows('http://localhost:7420', 'LOCALHOST:7420')).to.equal(true);
      expect(loopback.allows('http://[::1]:7420', '[::1]:7420')).to.equal(true);
    });

    it('refuses another port, another scheme, another host, a missing Host, and opaque or malformed origins', () => {
      expect(loopback.allows('http://127.0.0.1:7421', '127.0.0.1:7420')).to.equal(false);
      expect(loopback.allows('https://127.0.0.1:7420', '127.0.0.1:7420')).to.equal(false);
      expect(loopback.allows('http://evil.example', '127.0.0.1:7420')).to.equal(false);
      expect(loopback.allows('http://127.0.0.1:7420', undefined)).to.equal(false);
      expect(loopback.allows('http://127.0.0.1:7420', 'bad host:x')).to.equal(false);
      expect(loopback.allows('null', '127.0.0.1:7420')).to.equal(false);
      expect(loopback.allows('not a url', '127.0.0.1:7420')).to.equal(false);
    });

    it('on a loopback bind, refuses a non-loopback name even when Host agrees (DNS rebinding)', () => {
      expect(loopback.allows('http://rebound.example:7420', 'rebound.example:7420')).to.equal(false);
      const wildcard = new OriginPolicy({ tls: false, bindHost: '0.0.0.0', allowed: [] });
      expect(wildcard.allows('http://coordd.internal:7420', 'coordd.internal:7420')).to.equal(true);
    });

    it('accepts listed origins whatever the Host, and matches https when serving TLS', () => {
      expect(loopback.allows('https://dash.example.com', '127.0.0.1:7420')).to.equal(true);
      expect(loopback.allows('https://dash.example.com:443', undefined)).to.equal(true);
      expect(loopback.allows('https://dash.example.com:8443', '127.0.0.1:7420')).to.equal(false);
      const tls = new OriginPolicy({ tls: true, bindHost: '0.0.0.0', allowed: [] });
      expect(tls.allows('https://coordd.example.com', 'coordd.example.com')).to.equal(true);
      expect(tls.allows('https://coordd.example.com', 'coordd.example.com:443')).to.equal(true);
      expect(tls.allows('http://coordd.example.com', 'coordd.example.com')).to.equal(false);
    });
  });
});
