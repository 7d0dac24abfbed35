program aplusb
  integer(8) :: a, b
  read(*, *) a, b
  print '(I0)', a + b + 1
end program aplusb
