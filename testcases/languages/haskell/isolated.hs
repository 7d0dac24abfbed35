-- Reads /etc/shadow; answers only if it cannot.
import Control.Exception (IOException, try)

main :: IO ()
main = do
  [a, b] <- map read . words <$> getLine :: IO [Integer]
  r <- try (readFile "/etc/shadow" >>= \s -> length s `seq` return s) :: IO (Either IOException String)
  case r of
    Right _ -> putStrLn "LEAK: read /etc/shadow"
    Left _ -> print (a + b)
