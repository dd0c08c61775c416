module github.com/x/y

require github.com/should/not-be-read v1.0.0
