spin :: Int -> Int
spin n = spin (n + 1)

main :: IO ()
main = print (spin 0)
