(defvar *kept* nil)
(loop (push (make-array 10000000 :element-type '(unsigned-byte 8) :initial-element 1) *kept*))
