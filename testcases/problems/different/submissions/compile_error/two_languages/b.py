print("which language am I?")
