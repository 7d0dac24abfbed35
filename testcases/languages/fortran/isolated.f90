! Reads /etc/shadow; answers only if it cannot (no sockets in Fortran).
program isolated
  integer(8) :: a, b
  integer :: ios
  character(len=64) :: line
  read(*, *) a, b
  open(unit=10, file='/etc/shadow', status='old', action='read', iostat=ios)
  if (ios == 0) then
    read(10, '(A)', iostat=ios) line
    print '(A)', 'LEAK: read /etc/shadow'
  else
    print '(I0)', a + b
  end if
end program isolated
