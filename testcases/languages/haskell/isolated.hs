-- Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
-- GHC ships no network package, so the connect is libc's socket(2) and connect(2) through
-- the FFI.
import Control.Exception (IOException, try)
import Data.Word (Word16, Word8)
import Foreign.C.Types (CInt (..))
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Marshal.Array (pokeArray)
import Foreign.Ptr (Ptr, castPtr, plusPtr)
import Foreign.Storable (poke)

foreign import ccall unsafe "socket" c_socket :: CInt -> CInt -> CInt -> IO CInt
foreign import ccall unsafe "connect" c_connect :: CInt -> Ptr Word8 -> CInt -> IO CInt

-- struct sockaddr_in: the family in host order, then the port and address in network order.
connects :: IO Bool
connects = allocaBytes 16 $ \sa -> do
  pokeArray sa (replicate 16 0)
  poke (castPtr sa) (2 :: Word16) -- AF_INET
  let port = 47999 :: Int
      bytes = [port `div` 256, port `mod` 256, 127, 0, 0, 1]
  pokeArray (sa `plusPtr` 2) (map fromIntegral bytes :: [Word8])
  fd <- c_socket 2 1 0 -- AF_INET, SOCK_STREAM
  if fd < 0 then return False else (== 0) <$> c_connect fd sa 16

main :: IO ()
main = do
  [a, b] <- map read . words <$> getLine :: IO [Integer]
  r <- try (readFile "/etc/shadow" >>= \s -> length s `seq` return s) :: IO (Either IOException String)
  case r of
    Right _ -> putStrLn "LEAK: read /etc/shadow"
    Left _ -> do
      connected <- connects
      if connected then putStrLn "LEAK: connected" else print (a + b)
