"""Orders: a Flask app under one gunicorn master with forked workers."""
import os
import sqlite3

from flask import Flask, jsonify, request

DB = os.environ.get("SHOP_DB", os.path.join(os.path.dirname(os.path.abspath(__file__)), "shop.db"))

app = Flask(__name__)


def worker():
    # Each forked gunicorn worker has its own pid under the one Switchyard worker.
    return f"orders-{os.environ.get('SWITCHYARD_WORKER', '?')} (pid {os.getpid()})"


@app.get("/orders/healthz")
def healthz():
    return {"ok": True}


@app.post("/orders/")
def place():
    product = (request.get_json(silent=True) or {}).get("product")
    if not product:
        return jsonify(error="send {\"product\": \"<id>\"}"), 400
    with sqlite3.connect(DB) as db:
        if db.execute("SELECT 1 FROM products WHERE id = ?", (product,)).fetchone() is None:
            return jsonify(error=f"no product {product}"), 404
        cursor = db.execute("INSERT INTO orders (product, worker) VALUES (?, ?)", (product, worker()))
    print(f"order {cursor.lastrowid}: {product}")
    return jsonify(id=cursor.lastrowid, product=product, worker=worker()), 201


@app.get("/orders/")
def recent():
    with sqlite3.connect(DB) as db:
        rows = db.execute("SELECT id, product, worker FROM orders ORDER BY id DESC LIMIT 10").fetchall()
    return jsonify(worker=worker(), orders=[{"id": i, "product": p, "worker": w} for i, p, w in rows])
