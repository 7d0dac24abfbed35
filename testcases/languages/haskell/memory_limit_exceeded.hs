-- Takes 10 MiB blocks and writes them, forever.
import Control.Monad (forever)
import Foreign.Marshal.Alloc (mallocBytes)
import Foreign.Marshal.Utils (fillBytes)

main :: IO ()
main = forever $ do
  p <- mallocBytes (10 * 1024 * 1024)
  fillBytes p 1 (10 * 1024 * 1024)
