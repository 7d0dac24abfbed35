{ Reads /etc/shadow; answers only if it cannot. }
program isolated;
var a, b: int64; f: text;
begin
  read(a, b);
  assign(f, '/etc/shadow');
  {$I-} reset(f); {$I+}
  if IOResult = 0 then writeln('LEAK: read /etc/shadow') else writeln(a + b);
end.
