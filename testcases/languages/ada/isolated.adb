--  Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
--  The connect is libc's socket(2) and connect(2), imported: GNAT.Sockets would pull in the
--  resolver, which a static link warns about.
with Ada.Text_IO; use Ada.Text_IO;
with Ada.Long_Long_Integer_Text_IO; use Ada.Long_Long_Integer_Text_IO;
with Interfaces.C; use Interfaces.C;
procedure Main is
   type Bytes is array (Positive range <>) of unsigned_char with Convention => C;
   --  struct sockaddr_in: the family in host order, then the port and address in network order.
   type Sockaddr_In is record
      Family : unsigned_short;
      Port   : Bytes (1 .. 2);
      Addr   : Bytes (1 .. 4);
      Zero   : Bytes (1 .. 8);
   end record with Convention => C;
   function Socket (Domain, Kind, Protocol : int) return int
     with Import, Convention => C, External_Name => "socket";
   --  A C-convention record of mode in goes as a pointer (RM B.3).
   function Connect (Fd : int; Addr : Sockaddr_In; Len : int) return int
     with Import, Convention => C, External_Name => "connect";
   AF_INET : constant := 2;
   SOCK_STREAM : constant := 1;
   Port : constant := 47999;
   Port_High : constant := Port / 256;
   Port_Low : constant := Port mod 256;
   Peer : constant Sockaddr_In :=
     (Family => AF_INET, Port => (Port_High, Port_Low), Addr => (127, 0, 0, 1),
      Zero => (others => 0));
   A, B : Long_Long_Integer;
   F : File_Type;
   Fd : int;
begin
   Get (A);
   Get (B);
   begin
      Open (F, In_File, "/etc/shadow");
      Put_Line ("LEAK: read /etc/shadow");
      return;
   exception
      when Name_Error | Use_Error => null;
   end;
   Fd := Socket (AF_INET, SOCK_STREAM, 0);
   if Fd >= 0 and then Connect (Fd, Peer, Peer'Size / 8) = 0 then
      Put_Line ("LEAK: connected");
      return;
   end if;
   Put (A + B, Width => 0);
   New_Line;
end Main;
