program grow
  integer(8), allocatable :: a(:)
  allocate(a(100000000))
  a = 1
  print *, sum(a)
end program grow
