; Reads /etc/shadow and connects to the host's 127.0.0.1:47999; answers only if both fail.
(eval-when (:compile-toplevel :load-toplevel :execute)
  (require :sb-bsd-sockets))

(defun connects-p ()
  (let ((socket (make-instance 'sb-bsd-sockets:inet-socket :type :stream :protocol :tcp)))
    (sb-bsd-sockets:socket-connect socket #(127 0 0 1) 47999)
    (sb-bsd-sockets:socket-close socket)
    t))

(let ((a (read)) (b (read)))
  (cond ((ignore-errors (with-open-file (s "/etc/shadow") (read-line s)))
         (format t "LEAK: read /etc/shadow~%"))
        ((handler-case (connects-p) (sb-bsd-sockets:socket-error () nil))
         (format t "LEAK: connected~%"))
        (t (format t "~d~%" (+ a b)))))
