module github.com/lockstep-id/lockstep

go 1.26
