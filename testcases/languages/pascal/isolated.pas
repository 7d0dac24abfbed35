{ Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail. }
program isolated;
uses sockets;
var a, b: int64; f: text; s: longint; peer: TInetSockAddr;
begin
  read(a, b);
  assign(f, '/etc/shadow');
  {$I-} reset(f); {$I+}
  if IOResult = 0 then begin writeln('LEAK: read /etc/shadow'); exit; end;
  s := fpSocket(AF_INET, SOCK_STREAM, 0);
  if s >= 0 then begin
    FillChar(peer, SizeOf(peer), 0);
    peer.sin_family := AF_INET;
    peer.sin_port := htons(47999);
    peer.sin_addr := StrToNetAddr('127.0.0.1');
    if fpConnect(s, @peer, SizeOf(peer)) = 0 then begin writeln('LEAK: connected'); exit; end;
  end;
  writeln(a + b);
end.
