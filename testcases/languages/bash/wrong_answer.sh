read a b
echo $((a + b + 1))
