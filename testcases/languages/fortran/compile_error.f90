program broken
  integer :: a
  a = 
end program broken
