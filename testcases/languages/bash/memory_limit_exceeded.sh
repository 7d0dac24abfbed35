# Reads 400 MB into one variable (the pipe's two processes take little memory).
s=$(head -c 400000000 /dev/zero | tr '\0' x)
echo ${#s}
