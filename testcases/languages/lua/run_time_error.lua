error('no answer')
