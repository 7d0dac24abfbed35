program grow;
var p: PByte; i: int64;
begin
  while true do
  begin
    GetMem(p, 10000000);
    for i := 0 to 9999999 do p[i] := 1;
  end;
end.
