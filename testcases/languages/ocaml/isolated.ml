(* Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail. *)

(* The profile links no Unix library, so the connect calls libc's socket(2) and connect(2)
   directly: unboxed int32s are C ints, and a bytes value points at its data. The first names
   would be bytecode stubs; ocamlopt never uses them. *)
external socket :
  (int32 [@unboxed]) -> (int32 [@unboxed]) -> (int32 [@unboxed]) -> (int32 [@unboxed])
  = "no_bytecode" "socket" [@@noalloc]
external connect :
  (int32 [@unboxed]) -> Bytes.t -> (int32 [@unboxed]) -> (int32 [@unboxed])
  = "no_bytecode" "connect" [@@noalloc]

(* struct sockaddr_in: the family in host order, then the port and address in network order. *)
let peer () =
  let sa = Bytes.make 16 '\000' in
  Bytes.set_uint16_ne sa 0 2 (* AF_INET *);
  Bytes.set_uint16_be sa 2 47999;
  Bytes.blit_string "\127\000\000\001" 0 sa 4 4;
  sa

let connects () =
  let fd = socket 2l (* AF_INET *) 1l (* SOCK_STREAM *) 0l in
  fd >= 0l && connect fd (peer ()) 16l = 0l

let () =
  Scanf.scanf " %d %d" (fun a b ->
    match open_in "/etc/shadow" with
    | _ -> print_endline "LEAK: read /etc/shadow"
    | exception Sys_error _ ->
      if connects () then print_endline "LEAK: connected" else Printf.printf "%d\n" (a + b))
