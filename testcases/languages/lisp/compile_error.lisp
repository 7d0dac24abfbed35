(defun broken (x) (+ x)
