(* Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail. *)
let () =
  Scanf.scanf " %d %d" (fun a b ->
    match open_in "/etc/shadow" with
    | _ -> print_endline "LEAK: read /etc/shadow"
    | exception Sys_error _ -> Printf.printf "%d\n" (a + b))
