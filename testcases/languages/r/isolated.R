# Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
x <- scan(file('stdin'), what = numeric(), quiet = TRUE)
shadow <- tryCatch({ readLines('/etc/shadow'); TRUE }, error = function(e) FALSE, warning = function(w) FALSE)
connected <- tryCatch({ s <- socketConnection('127.0.0.1', 47999, timeout = 1); close(s); TRUE },
                      error = function(e) FALSE, warning = function(w) FALSE)
if (shadow) cat('LEAK: read /etc/shadow\n') else if (connected) cat('LEAK: connected\n') else cat(format(x[1] + x[2], scientific = FALSE), '\n')
