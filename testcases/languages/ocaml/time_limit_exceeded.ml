let rec spin n = spin (n + 1)
let () = spin 0
