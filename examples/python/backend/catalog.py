"""The catalog: a FastAPI app, one uvicorn process per Switchyard worker."""
import os
import sqlite3

from fastapi import FastAPI, HTTPException

DB = os.environ.get("SHOP_DB", os.path.join(os.path.dirname(os.path.abspath(__file__)), "shop.db"))
WORKER = f"catalog-{os.environ.get('SWITCHYARD_WORKER', '?')} (pid {os.getpid()})"

app = FastAPI()


def query(sql, *args):
    with sqlite3.connect(DB) as db:
        return db.execute(sql, args).fetchall()


@app.get("/api/healthz")
def healthz():
    return {"ok": True}


@app.get("/api/products")
def products():
    rows = query("SELECT id, name, cents FROM products ORDER BY name")
    return {"worker": WORKER, "products": [{"id": i, "name": n, "cents": c} for i, n, c in rows]}


@app.get("/api/products/{product_id}")
def product(product_id: str):
    rows = query("SELECT id, name, cents FROM products WHERE id = ?", product_id)
    if not rows:
        raise HTTPException(status_code=404, detail=f"no product {product_id}")
    i, n, c = rows[0]
    return {"worker": WORKER, "id": i, "name": n, "cents": c}
