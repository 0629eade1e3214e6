"""Creates the shop's SQLite database and its products: the migration the apps wait for."""
import os
import sqlite3

DB = os.environ.get("SHOP_DB", os.path.join(os.path.dirname(os.path.abspath(__file__)), "shop.db"))

PRODUCTS = [
    ("kettle", "Kettle", 2900),
    ("teapot", "Teapot", 3400),
    ("mug", "Mug", 900),
]

with sqlite3.connect(DB) as db:
    db.execute("CREATE TABLE IF NOT EXISTS products (id TEXT PRIMARY KEY, name TEXT NOT NULL, cents INTEGER NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY AUTOINCREMENT, product TEXT NOT NULL, worker TEXT NOT NULL)")
    db.executemany("INSERT OR REPLACE INTO products VALUES (?, ?, ?)", PRODUCTS)
print(f"migrated {DB}: {len(PRODUCTS)} products")
