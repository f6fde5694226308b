package namesrv

import (
	"context"

	"github.com/saturnmq/saturn/remoting"
)

// handlePutKVConfig serves PUT_KV_CONFIG (100).
func (n *Server) handlePutKVConfig(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	ns, key, value := h.str("namespace"), h.str("key"), h.str("value")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	if err := n.kv.Put(ns, key, value); err != nil {
		n.log.Error("namesrv: kv config not persisted", "namespace", ns, "key", key, "err", err)
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	n.log.Info("namesrv: kv config put", "namespace", ns, "key", key, "value", value)
	return success(req)
}

// handleGetKVConfig serves GET_KV_CONFIG (101).
func (n *Server) handleGetKVConfig(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	ns, key := h.str("namespace"), h.str("key")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	v, ok := n.kv.Get(ns, key)
	if !ok {
		return remoting.NewResponse(req, remoting.ResponseQueryNotFound,
			"No config item, Namespace: "+ns+" Key: "+key)
	}
	resp := success(req)
	resp.ExtFields["value"] = v
	return resp
}

// handleDeleteKVConfig serves DELETE_KV_CONFIG (102).
func (n *Server) handleDeleteKVConfig(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	ns, key := h.str("namespace"), h.str("key")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	if err := n.kv.Delete(ns, key); err != nil {
		n.log.Error("namesrv: kv config not persisted", "namespace", ns, "key", key, "err", err)
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	n.log.Info("namesrv: kv config deleted", "namespace", ns, "key", key)
	return success(req)
}

// handleGetKVList serves GET_KVLIST_BY_NAMESPACE (219).
func (n *Server) handleGetKVList(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	ns := h.str("namespace")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	kv := n.kv.List(ns)
	if len(kv) == 0 {
		return remoting.NewResponse(req, remoting.ResponseQueryNotFound, "No config item, Namespace: "+ns)
	}
	resp := success(req)
	resp.Body = encodeKVTable(kv)
	return resp
}
