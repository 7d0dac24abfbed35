(sb-ext:exit :code 3 :abort t)
