program fail;
begin
  halt(3);
end.
