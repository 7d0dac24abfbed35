program fail
  error stop 3
end program fail
