from churnwatch.launch import command

if __name__ == "__main__":
    command()
