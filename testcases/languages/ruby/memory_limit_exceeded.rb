kept = []
loop { kept << ('x' * 10_000_000) }
