// A Chrome-style offer (audio, video and a data channel, bundled) with host,
// mDNS, srflx and relay candidates inline; addresses from the documentation
// ranges.
export const HOST_CANDIDATE =
  'candidate:1467250027 1 udp 2122260223 192.0.2.10 46243 typ host generation 0 ufrag EsAw network-id 1';
export const MDNS_CANDIDATE =
  'candidate:3079467458 1 udp 2122262783 6b4e2a0e-1b8f-4c7c-9a52-2f6c0d9b7a11.local 54400 typ host generation 0 ufrag EsAw network-id 2';
export const SRFLX_CANDIDATE =
  'candidate:435653019 1 udp 1686052607 198.51.100.7 46243 typ srflx raddr 192.0.2.10 rport 46243 generation 0 ufrag EsAw network-id 1';
export const RELAY_CANDIDATE =
  'candidate:2157334355 1 udp 41885439 203.0.113.5 50124 typ relay raddr 198.51.100.7 rport 46243 generation 0 ufrag EsAw network-id 1';

export function offer({ candidates = [HOST_CANDIDATE, SRFLX_CANDIDATE, RELAY_CANDIDATE] } = {}) {
  const lines = [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1 2',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS stream',
    'm=audio 46243 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
    'c=IN IP4 198.51.100.7',
    'a=rtcp:9 IN IP4 0.0.0.0',
    ...candidates.map((c) => `a=${c}`),
    'a=ice-ufrag:EsAw',
    'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E',
    'a=setup:actpass',
    'a=mid:0',
    'a=sendrecv',
    'a=msid:stream audio-track',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=rtcp-fb:111 transport-cc',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=rtpmap:63 red/48000/2',
    'a=fmtp:63 111/111',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:13 CN/8000',
    'a=rtpmap:110 telephone-event/48000',
    'a=rtpmap:126 telephone-event/8000',
    'a=ssrc:3735928559 cname:4TOk42mSjXCkVIa6',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
    'c=IN IP4 0.0.0.0',
    'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:EsAw',
    'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E',
    'a=setup:actpass',
    'a=mid:1',
    'a=sendrecv',
    'a=rtcp-mux',
    'a=rtcp-rsize',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 goog-remb',
    'a=rtcp-fb:96 transport-cc',
    'a=rtcp-fb:96 ccm fir',
    'a=rtcp-fb:96 nack',
    'a=rtcp-fb:96 nack pli',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:EsAw',
    'a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y',
    'a=ice-options:trickle',
    'a=fingerprint:sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E',
    'a=setup:actpass',
    'a=mid:2',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
  ];
  return lines.join('\r\n') + '\r\n';
}
