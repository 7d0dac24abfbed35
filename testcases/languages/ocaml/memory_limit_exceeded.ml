let kept = ref []
let () = while true do kept := Bytes.make 10_000_000 'x' :: !kept done
