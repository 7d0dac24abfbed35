--  Reads /etc/shadow; answers only if it cannot.
with Ada.Text_IO; use Ada.Text_IO;
with Ada.Long_Long_Integer_Text_IO; use Ada.Long_Long_Integer_Text_IO;
procedure Main is
   A, B : Long_Long_Integer;
   F : File_Type;
begin
   Get (A);
   Get (B);
   begin
      Open (F, In_File, "/etc/shadow");
      Put_Line ("LEAK: read /etc/shadow");
   exception
      when others =>
         Put (A + B, Width => 0);
         New_Line;
   end;
end Main;
