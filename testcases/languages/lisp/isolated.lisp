; Reads /etc/shadow; answers only if it cannot.
(let ((a (read)) (b (read)))
  (if (ignore-errors (with-open-file (s "/etc/shadow") (read-line s)))
      (format t "LEAK: read /etc/shadow~%")
      (format t "~d~%" (+ a b))))
