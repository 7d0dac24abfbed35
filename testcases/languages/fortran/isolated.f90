! Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
! Fortran has no sockets, so the connect is libc's socket(2) and connect(2) through ISO_C_BINDING.
program isolated
  use iso_c_binding, only: c_int, c_short, c_char
  implicit none
  ! struct sockaddr_in: the family in host order, then the port and address in network order.
  type, bind(c) :: sockaddr_in
    integer(c_short) :: family
    character(kind=c_char) :: port(2), addr(4), zero(8)
  end type
  interface
    integer(c_int) function socket(domain, type, protocol) bind(c, name='socket')
      import :: c_int
      integer(c_int), value :: domain, type, protocol
    end function
    integer(c_int) function connect(fd, addr, len) bind(c, name='connect')
      import :: c_int, sockaddr_in
      integer(c_int), value :: fd, len
      type(sockaddr_in), intent(in) :: addr
    end function
  end interface
  integer, parameter :: AF_INET = 2, SOCK_STREAM = 1, PORT = 47999
  integer(8) :: a, b
  integer :: ios
  integer(c_int) :: fd
  character(len=64) :: line
  type(sockaddr_in) :: peer
  read(*, *) a, b
  open(unit=10, file='/etc/shadow', status='old', action='read', iostat=ios)
  if (ios == 0) then
    read(10, '(A)', iostat=ios) line
    print '(A)', 'LEAK: read /etc/shadow'
    stop
  end if
  peer = sockaddr_in(int(AF_INET, c_short), [achar(PORT / 256), achar(mod(PORT, 256))], &
                     [achar(127), achar(0), achar(0), achar(1)], achar(0))
  fd = socket(AF_INET, SOCK_STREAM, 0)
  if (fd >= 0) then
    if (connect(fd, peer, int(storage_size(peer) / 8, c_int)) == 0) then
      print '(A)', 'LEAK: connected'
      stop
    end if
  end if
  print '(I0)', a + b
end program isolated
