read a b
exit 3
