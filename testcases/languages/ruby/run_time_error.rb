raise 'no answer'
