// bigchain-abci: the ABCI application of blockcast's chain-follower tests. It commits BigchainDB
// transaction JSON and, like a BigchainDB node, rejects a TRANSFER whose input is already spent
// (code 2), so committed blocks carry valid and rejected transactions side by side. State is kept
// in memory and is deterministic: a restarted node (or app) replays blocks to the same results.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/cometbft/cometbft/abci/server"
	abci "github.com/cometbft/cometbft/abci/types"
)

const (
	codeOK          = 0
	codeNotJSON     = 1
	codeDoubleSpend = 2
)

type transaction struct {
	ID        string `json:"id"`
	Operation string `json:"operation"`
	Inputs    []struct {
		Fulfills *struct {
			TransactionID string `json:"transaction_id"`
			OutputIndex   int    `json:"output_index"`
		} `json:"fulfills"`
	} `json:"inputs"`
}

type application struct {
	abci.BaseApplication
	mu      sync.Mutex
	spent   map[string]bool
	height  int64
	appHash []byte
}

func parse(tx []byte) (*transaction, bool) {
	var parsed transaction
	if err := json.Unmarshal(tx, &parsed); err != nil || parsed.ID == "" || parsed.Operation == "" {
		return nil, false
	}
	return &parsed, true
}

func (app *application) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	app.mu.Lock()
	defer app.mu.Unlock()
	return &abci.ResponseInfo{Data: "bigchain-abci", LastBlockHeight: app.height, LastBlockAppHash: app.appHash}, nil
}

func (app *application) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	if _, ok := parse(req.Tx); !ok {
		return &abci.ResponseCheckTx{Code: codeNotJSON, Log: "not a BigchainDB transaction"}, nil
	}
	return &abci.ResponseCheckTx{Code: codeOK}, nil
}

func (app *application) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	app.mu.Lock()
	defer app.mu.Unlock()
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		tx, ok := parse(raw)
		if !ok {
			results[i] = &abci.ExecTxResult{Code: codeNotJSON, Log: "not a BigchainDB transaction"}
			continue
		}
		results[i] = app.spend(tx)
	}
	app.height = req.Height
	hash := sha256.New()
	hash.Write(app.appHash)
	_ = binary.Write(hash, binary.BigEndian, req.Height)
	for _, result := range results {
		_ = binary.Write(hash, binary.BigEndian, result.Code)
	}
	app.appHash = hash.Sum(nil)
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: app.appHash}, nil
}

// spend marks the outputs a TRANSFER spends, or rejects it when one is spent already.
func (app *application) spend(tx *transaction) *abci.ExecTxResult {
	keys := []string{}
	for _, input := range tx.Inputs {
		if input.Fulfills == nil {
			continue
		}
		key := fmt.Sprintf("%s:%d", input.Fulfills.TransactionID, input.Fulfills.OutputIndex)
		if app.spent[key] {
			return &abci.ExecTxResult{Code: codeDoubleSpend, Log: "input already spent: " + key}
		}
		keys = append(keys, key)
	}
	for _, key := range keys {
		app.spent[key] = true
	}
	return &abci.ExecTxResult{Code: codeOK}
}

func (app *application) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	return &abci.ResponseCommit{}, nil
}

func main() {
	address := flag.String("address", "tcp://127.0.0.1:26658", "where the ABCI socket server listens")
	flag.Parse()
	app := &application{spent: map[string]bool{}}
	srv := server.NewSocketServer(*address, app)
	if err := srv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "bigchain-abci:", err)
		os.Exit(1)
	}
	fmt.Println("bigchain-abci listening on", *address)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	_ = srv.Stop()
}
