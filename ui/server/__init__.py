"""The reward HTTP server (`telerubric serve`): FastAPI routes over one `RewardModel`, run by uvicorn on loopback.

POST /score  /score_group  /compare  /get_reward (OpenRLHF)      GET /health
"""

from ui.server.app import create_app
from ui.server.run import ServerThread, serve

__all__ = ["ServerThread", "create_app", "serve"]
