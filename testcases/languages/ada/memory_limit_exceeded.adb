procedure Main is
   type Block is array (1 .. 10_000_000) of Character;
   type Block_Access is access Block;
   P : Block_Access;
begin
   loop
      P := new Block'(others => 'x');
   end loop;
end Main;
