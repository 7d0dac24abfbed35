stop('no answer')
