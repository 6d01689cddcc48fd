module github.com/eelsh5/eelsh5

go 1.26.8

require (
	github.com/alecthomas/kong v1.17.0 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
	gonum.org/v1/hdf5 v0.0.0-20210714002203-8c5d23bc6946 // indirect
)
