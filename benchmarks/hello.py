"""The bare endpoint the price partial is compared with: Flask, one route, nothing else."""
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "hello"
