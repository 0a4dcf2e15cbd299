module bulwark.test/node-probe

go 1.26.0
