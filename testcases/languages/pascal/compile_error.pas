program broken;
begin
  writeln(;
end.
